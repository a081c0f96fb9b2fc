import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Stack, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import {
  EGRESS_OPTIONS,
  EgressOptionError,
  type FixedEgress,
  parseEgressOption,
} from '../../lib/egress.ts';
import type { BotfolioStack } from '../../lib/stack.ts';
import { CONFIG_FILE, logicalIdOf, type Synthesized, synthesize } from './support.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// Prepare (once for the file): the stack in each mode.
const off = synthesize();
const instanceMode = synthesize({ props: { egress: 'nat-instance' } });
const gatewayMode = synthesize({ props: { egress: 'nat-gateway' } });

function egressOf(stack: BotfolioStack): FixedEgress {
  if (!stack.egress) throw new Error('the stack has no fixed egress');
  return stack.egress;
}

/** `{ Ref: … }` of the one private subnet, and of its route table. */
function privateSubnetRefs(stack: BotfolioStack) {
  const [subnet, ...others] = egressOf(stack).vpc.privateSubnets;
  if (!subnet || others.length > 0) throw new Error('expected one private subnet');
  return {
    subnet: stack.resolve(subnet.subnetId) as unknown,
    routeTable: stack.resolve(subnet.routeTable.routeTableId) as unknown,
  };
}

/**
 * Every cdk-nag acknowledgement recorded in the stack, as "construct path rule id", the path
 * without the stack's name (CDK's own acknowledgements of its template checks are left out).
 */
function nagAcknowledgements(stack: Stack): Set<string> {
  const found = new Set<string>();
  for (const c of stack.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const id of Object.keys(entry.data as Record<string, string>)) {
        const rule = id.replace(/^Annotation::/, '');
        if (rule.startsWith('AwsSolutions-'))
          found.add(`${c.node.path.slice(stack.node.path.length)} ${rule}`);
      }
    }
  }
  return found;
}

describe('egress off (the default)', () => {
  it('creates no VPC, address, NAT or security group', () => {
    // Assess
    for (const type of [
      'AWS::EC2::VPC',
      'AWS::EC2::EIP',
      'AWS::EC2::Instance',
      'AWS::EC2::NatGateway',
      'AWS::EC2::SecurityGroup',
      'AWS::EC2::FlowLog',
    ])
      off.template.resourceCountIs(type, 0);
    expect(off.stack.egress).toBeUndefined();
    expect(off.template.findOutputs('EgressIp')).toEqual({});
  });

  it('runs every function outside any VPC', () => {
    // Assess
    const functions = off.template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThan(0);
    for (const fn of Object.values(functions)) expect(fn.Properties.VpcConfig).toBeUndefined();
  });
});

/** What both modes have in common. */
function describeCommon(mode: string, { stack, template }: Synthesized) {
  describe(`${mode}: common to both modes`, () => {
    it('holds one Elastic IP and prints it as output EgressIp, to bind on the Bitget key', () => {
      // Assess
      template.resourceCountIs('AWS::EC2::EIP', 1);
      template.hasOutput('EgressIp', {
        Value: { 'Fn::GetAtt': [stack.getLogicalId(egressOf(stack).address), 'PublicIp'] },
        Description: Match.stringLikeRegexp('Bitget'),
      });
    });

    it('builds one AZ: a public and a private subnet, one NAT', () => {
      // Assess
      template.resourceCountIs('AWS::EC2::VPC', 1);
      template.resourceCountIs('AWS::EC2::Subnet', 2);
      template.hasResourceProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
      template.hasResourceProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    });

    it('reaches DynamoDB from the private subnet through a gateway endpoint', () => {
      // Prepare
      const { routeTable } = privateSubnetRefs(stack);
      // Assess
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: {
          'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.dynamodb$')])],
        },
        RouteTableIds: [routeTable],
      });
    });

    it('logs all VPC traffic to CloudWatch', () => {
      // Assess
      template.hasResourceProperties('AWS::EC2::FlowLog', {
        ResourceType: 'VPC',
        TrafficType: 'ALL',
        LogDestinationType: 'cloud-watch-logs',
      });
    });

    it('runs the cycle and transfer-step functions in the private subnet, HTTPS out only', () => {
      // Prepare
      const { subnet } = privateSubnetRefs(stack);
      for (const fn of [stack.cycle.function, stack.transferStep]) {
        const [group] = fn.connections.securityGroups;
        if (!group) throw new Error(`${fn.node.path} has no security group`);
        const groupRef = stack.resolve(group.securityGroupId) as { 'Fn::GetAtt': [string, string] };
        // Assess
        const resources = template.toJSON().Resources;
        expect(resources[logicalIdOf(stack, fn)].Properties.VpcConfig).toEqual({
          SubnetIds: [subnet],
          SecurityGroupIds: [groupRef],
        });
        const groupResource = resources[groupRef['Fn::GetAtt'][0]];
        expect(groupResource.Properties.SecurityGroupEgress).toEqual([
          expect.objectContaining({
            CidrIp: '0.0.0.0/0',
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
          }),
        ]);
        expect(groupResource.Properties.SecurityGroupIngress).toBeUndefined();
      }
    });

    it('lets the functions in the VPC manage their network interfaces', () => {
      // Assess
      for (const fn of [stack.cycle.function, stack.transferStep]) {
        const roleRef = stack.resolve(fn.role?.roleName);
        template.hasResourceProperties('AWS::IAM::Policy', {
          Roles: [roleRef],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Action: Match.arrayWith([
                  'ec2:CreateNetworkInterface',
                  'ec2:DeleteNetworkInterface',
                ]),
              }),
            ]),
          },
        });
      }
    });

    it('passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
      // Act
      const report = new AwsSolutionsChecks().validateScope(stack);
      // Assess
      expect(
        report.violations.map(
          (v) =>
            `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`,
        ),
      ).toEqual([]);
    });
  });
}

describeCommon('nat-instance', instanceMode);
describeCommon('nat-gateway', gatewayMode);

describe('nat-instance mode', () => {
  const { stack, template } = instanceMode;
  const natInstance = egressOf(stack).natInstance;
  if (!natInstance) throw new Error('nat-instance mode has no NAT instance');
  const instanceId = logicalIdOf(stack, natInstance);

  it('associates the Elastic IP with the NAT instance, apart from it', () => {
    // Assess
    template.resourceCountIs('AWS::EC2::EIPAssociation', 1);
    template.hasResourceProperties('AWS::EC2::EIPAssociation', {
      AllocationId: { 'Fn::GetAtt': [stack.getLogicalId(egressOf(stack).address), 'AllocationId'] },
      InstanceId: { Ref: instanceId },
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  it('routes the private subnet through a t4g.nano on Amazon Linux 2023 arm64', () => {
    // Assess
    template.hasResourceProperties('AWS::EC2::Route', {
      DestinationCidrBlock: '0.0.0.0/0',
      InstanceId: { Ref: instanceId },
    });
    const instance = template.toJSON().Resources[instanceId];
    expect(instance.Properties).toMatchObject({ InstanceType: 't4g.nano', SourceDestCheck: false });
    const imageParameter = template.toJSON().Parameters[instance.Properties.ImageId.Ref];
    expect(imageParameter.Default).toMatch(/al2023-ami-.*arm64$/);
  });

  it('hardens the NAT instance: IMDSv2, encrypted root volume, HTTPS in from the VPC only', () => {
    // Assess
    template.hasResourceProperties('AWS::EC2::Instance', {
      MetadataOptions: { HttpTokens: 'required' },
      BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Security Group for NAT instances',
      SecurityGroupIngress: [
        Match.objectLike({ CidrIp: '10.0.0.0/16', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ],
    });
  });

  it('creates the functions only once the address is associated', () => {
    // Prepare
    const associationId = Object.keys(template.findResources('AWS::EC2::EIPAssociation'))[0];
    // Assess
    for (const fn of [stack.cycle.function, stack.transferStep, stack.reconcile.function]) {
      const resource = template.toJSON().Resources[logicalIdOf(stack, fn)];
      expect(resource.DependsOn).toContain(associationId);
    }
  });

  it('acknowledges only the NAT instance monitoring and termination protection', () => {
    // Act
    const before = nagAcknowledgements(off.stack);
    const added = [...nagAcknowledgements(stack)].filter((a) => !before.has(a));
    // Assess
    const path = natInstance.node.path.slice(stack.node.path.length);
    expect(added.sort()).toEqual([`${path} AwsSolutions-EC28`, `${path} AwsSolutions-EC29`]);
  });
});

describe('nat-gateway mode', () => {
  const { stack, template } = gatewayMode;

  it('gives the NAT gateway the Elastic IP allocation', () => {
    // Assess
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.hasResourceProperties('AWS::EC2::NatGateway', {
      AllocationId: { 'Fn::GetAtt': [stack.getLogicalId(egressOf(stack).address), 'AllocationId'] },
    });
    template.resourceCountIs('AWS::EC2::Instance', 0);
    template.resourceCountIs('AWS::EC2::EIPAssociation', 0);
  });

  it('acknowledges nothing more than the stack without egress', () => {
    // Assess
    expect(nagAcknowledgements(stack)).toEqual(nagAcknowledgements(off.stack));
  });
});

describe('the egress option', () => {
  it('defaults to none and accepts each choice', () => {
    // Assess
    expect(parseEgressOption(undefined)).toBe('none');
    expect(parseEgressOption('')).toBe('none');
    for (const option of EGRESS_OPTIONS) expect(parseEgressOption(option)).toBe(option);
  });

  it('refuses anything else, naming the value and the choices', () => {
    // Act & Assess
    expect(() => parseEgressOption('nat')).toThrow(EgressOptionError);
    expect(() => parseEgressOption('nat')).toThrow(/"nat".*nat-instance, nat-gateway, none/);
  });

  it('makes bin/app.ts exit non-zero on -c egress=bogus, naming the value', () => {
    // Act: run as the CDK CLI does, context passed in the environment.
    const run = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['bin/app.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config: CONFIG_FILE, egress: 'bogus' }),
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'botfolio-out-')),
      },
    });
    // Assess
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('"bogus"');
    expect(run.stderr).toContain('nat-instance, nat-gateway, none');
  });
});
