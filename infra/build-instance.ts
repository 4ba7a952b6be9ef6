import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Construct } from 'constructs';
import { BUILD_INSTANCE_TRUSTED_SERVICE } from '../policies/build-instance';
import { trustPolicyJson } from '../policies/statement';

/** The role and instance profile every build instance runs with (see policies/build-instance.ts). */
export class BuildInstanceRole extends Construct {
  readonly role: IamRole;
  readonly profile: IamInstanceProfile;

  constructor(scope: Construct, id: string, props: { name: string; managedPolicyArns: string[] }) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: props.name,
      description: 'Role of amibake build instances: nothing unless the configuration adds policies',
      assumeRolePolicy: trustPolicyJson(BUILD_INSTANCE_TRUSTED_SERVICE),
    });
    props.managedPolicyArns.forEach((policyArn, index) => {
      new IamRolePolicyAttachment(this, `managed-${index}`, { role: this.role.name, policyArn });
    });
    this.profile = new IamInstanceProfile(this, 'profile', { name: props.name, role: this.role.name });
  }
}
