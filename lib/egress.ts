/**
 * The fixed egress IP (DESIGN.md §5, §9): Bitget binds the master API key to fixed addresses, so the
 * functions that call the exchange run in private subnets whose traffic leaves through one NAT
 * holding one Elastic IP, the address the operator binds on the key.
 *
 * One AZ, on purpose: the fixed address lives on one NAT (an instance, or a gateway), and a NAT
 * serves one AZ; a second AZ would add no availability to exchange calls (they all leave through
 * that NAT), only cross-AZ data charges — or a second NAT and a second address to bind. An AZ
 * outage stops the cycles until it ends; the store and the workflow keep their state meanwhile.
 *
 * DynamoDB is reached through a gateway endpoint (free, and off the NAT). Secrets Manager, SNS,
 * Step Functions and CloudWatch go through the NAT: an interface endpoint costs more a month than
 * the NAT instance, for a few requests a minute.
 */
import { CfnOutput, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, DependencyGroup, type IDependable } from 'constructs';

/** How the fixed address is provided. */
export type EgressMode = 'nat-instance' | 'nat-gateway';

/** The values of the stack's `egress` option (context `-c egress=…`). */
export const EGRESS_OPTIONS = ['nat-instance', 'nat-gateway', 'none'] as const;
export type EgressOption = (typeof EGRESS_OPTIONS)[number];

/** A value of the `egress` option that is not one of EGRESS_OPTIONS. */
export class EgressOptionError extends Error {
  constructor(value: unknown) {
    super(
      `Invalid egress option ${JSON.stringify(value)}: expected one of ${EGRESS_OPTIONS.join(', ')} (default none).`,
    );
    this.name = new.target.name;
  }
}

/** Parses the `egress` context value: absent or empty means 'none'. */
export function parseEgressOption(value: unknown): EgressOption {
  if (value === undefined || value === null || value === '') return 'none';
  const option = EGRESS_OPTIONS.find((o) => o === value);
  if (option === undefined) throw new EgressOptionError(value);
  return option;
}

/** The VPC's range, literal so the NAT's inbound rule states it (and cdk-nag can read it). */
const VPC_CIDR = '10.0.0.0/16';

/** The HTTPS port: the only traffic the functions send, and the only one the NAT forwards. */
const HTTPS = ec2.Port.tcp(443);

export interface FixedEgressProps {
  /**
   * `'nat-instance'`: a small ARM instance (Amazon Linux 2023, iptables masquerade) with the
   * Elastic IP associated, a few dollars a month. `'nat-gateway'`: a managed NAT gateway holding
   * the Elastic IP, roughly ten times that plus a charge per GB, with no instance to look after.
   * Switching a deployed stack from one to the other moves the address between NATs in one
   * update; that has not been tried against AWS (the new NAT may want the address before the old
   * one lets go of it).
   * @default 'nat-instance'
   */
  readonly mode?: EgressMode;
  /**
   * The NAT instance's type (nat-instance mode); the AMI follows its architecture.
   * @default t4g.nano — a NAT for a few HTTPS requests a minute needs no more.
   */
  readonly natInstanceType?: ec2.InstanceType;
  /** @default logs.RetentionDays.ONE_MONTH — flow logs are for troubleshooting, not the audit. */
  readonly flowLogRetention?: logs.RetentionDays;
}

/**
 * A VPC in one AZ (a public and a private-with-egress subnet), an Elastic IP and the NAT that
 * holds it, a DynamoDB gateway endpoint, and flow logs to CloudWatch. Functions opt in with
 * BotfolioFunction's `vpc` prop (its own group allows only outbound HTTPS), and depend on
 * `egressEstablished`.
 */
export class FixedEgress extends Construct {
  readonly vpc: ec2.Vpc;
  /** The fixed address (a token): bind it on the exchange API key. */
  readonly egressIp: string;
  readonly mode: EgressMode;
  /** The Elastic IP. Its id (`Address`) is part of the contract: a new one is a new address. */
  readonly address: ec2.CfnEIP;
  /** The NAT instance (nat-instance mode). */
  readonly natInstance?: ec2.Instance;
  /**
   * Done when traffic from the private subnets leaves from `egressIp`. A function in this VPC
   * depends on it (`fn.node.addDependency(egress.egressEstablished)`): with a NAT instance that
   * waits for the Elastic IP's association, so no call ever leaves from the instance's launch
   * address (which the exchange would refuse). Like the VPC's `internetConnectivityEstablished`,
   * which it includes.
   */
  readonly egressEstablished: IDependable;
  private readonly ready = new DependencyGroup();

  constructor(scope: Construct, id: string, props: FixedEgressProps = {}) {
    super(scope, id);
    this.mode = props.mode ?? 'nat-instance';
    this.egressEstablished = this.ready;

    this.address = new ec2.CfnEIP(this, 'Address', { domain: 'vpc' });
    this.egressIp = this.address.attrPublicIp;

    const natInstanceProvider =
      this.mode === 'nat-instance'
        ? ec2.NatProvider.instanceV2({
            instanceType:
              props.natInstanceType ??
              ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO),
            // Not INBOUND_AND_OUTBOUND (CDK's default, all traffic from anywhere): inbound is
            // opened below to HTTPS from the VPC only.
            defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
            // Baseline CPU is plenty for a NAT of a few requests a minute; standard credits
            // cap the bill instead of charging for bursts.
            creditSpecification: ec2.CpuCredits.STANDARD,
          })
        : undefined;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs: 1,
      natGateways: 1,
      natGatewayProvider:
        natInstanceProvider ??
        ec2.NatProvider.gateway({ eipAllocationIds: [this.address.attrAllocationId] }),
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
      // Nothing uses the default group; restricting it would take a custom-resource Lambda.
      restrictDefaultSecurityGroup: false,
    });
    this.ready.add(this.vpc.internetConnectivityEstablished);

    if (natInstanceProvider) {
      natInstanceProvider.connections.allowFrom(
        ec2.Peer.ipv4(VPC_CIDR),
        HTTPS,
        'HTTPS from the functions in the private subnets',
      );
      const [gateway, ...others] = natInstanceProvider.configuredGateways;
      const [instance] = natInstanceProvider.gatewayInstances;
      if (!gateway || !instance || others.length > 0)
        throw new Error(`${this.node.path}: expected exactly one NAT instance`);
      this.natInstance = instance;
      // Associated apart from the instance, so a replaced instance (a new AMI) gets the same
      // address back.
      const association = new ec2.CfnEIPAssociation(this, 'AddressAssociation', {
        allocationId: this.address.attrAllocationId,
        instanceId: gateway.gatewayId,
      });
      this.ready.add(association);
      this.hardenNatInstance(instance);
    }

    new ec2.GatewayVpcEndpoint(this, 'DynamoDbEndpoint', {
      vpc: this.vpc,
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
    });

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new ec2.FlowLog(this, 'FlowLog', {
      resourceType: ec2.FlowLogResourceType.fromVpc(this.vpc),
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
      maxAggregationInterval: ec2.FlowLogMaxAggregationInterval.TEN_MINUTES,
    });

    const output = new CfnOutput(this, 'EgressIp', {
      value: this.egressIp,
      description:
        'Fixed egress IP of the exchange calls: bind it on the Bitget master API key (IP whitelist).',
    });
    // The key `cdk deploy` prints, e.g. Botfolio-main.EgressIp (one fixed egress per stack).
    output.overrideLogicalId('EgressIp');
  }

  /** IMDSv2, an encrypted root volume, and the findings a NAT instance has by design. */
  private hardenNatInstance(instance: ec2.Instance): void {
    // The provider takes neither option, so they are set on the instance resource (not with
    // InstanceRequireImdsv2Aspect: its launch template has a fixed name, one per account).
    instance.instance.metadataOptions = { httpTokens: 'required' };
    // The AMI's root device (Amazon Linux 2023: /dev/xvda), encrypted with the account's EBS key.
    instance.instance.blockDeviceMappings = [
      { deviceName: '/dev/xvda', ebs: { encrypted: true, volumeType: 'gp3' } },
    ];
    Validations.of(instance).acknowledge({
      id: 'AwsSolutions-EC28',
      reason:
        'Detailed (1-minute) monitoring of the NAT instance would cost about as much as the instance; 5-minute metrics are enough for a NAT of a few requests a minute, and failed exchange calls already raise the cycle alarms.',
    });
    Validations.of(instance).acknowledge({
      id: 'AwsSolutions-EC29',
      reason:
        'The NAT instance is disposable: CloudFormation replaces it (e.g. on a new Amazon Linux AMI) and the Elastic IP association moves the fixed address to the new one; termination protection would make that replacement fail.',
    });
  }
}
